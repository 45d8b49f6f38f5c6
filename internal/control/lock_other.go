//go:build !unix

package control

// lockDir does nothing where flock is missing: two daemons started at the
// same instant may then race for the socket path.
func lockDir(string) (unlock func(), err error) { return func() {}, nil }
