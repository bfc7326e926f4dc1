package clause

// didYouMean suggests the declared parameter closest to a misspelt name,
// as "did you mean reminder_days? ", or "" when none is close.
func didYouMean(name string, params []Param) string {
	best, bestD := "", 3 // at most two edits away
	for _, p := range params {
		if d := editDistance(name, p.Name); d < bestD {
			best, bestD = p.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return "did you mean " + best + "? "
}

// editDistance is the Levenshtein distance of two short names.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
