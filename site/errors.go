package site

// BuildError is a failure inside Hugo: a layout that does not parse or
// execute, a bad configuration. Serve shows it in the browser.
type BuildError struct {
	What    string // what was being done: "build the site"
	Message string // Hugo's message, with paths as a provider sees them
	Err     error
}

func (e *BuildError) Error() string { return e.What + ": " + e.Message }
func (e *BuildError) Unwrap() error { return e.Err }
