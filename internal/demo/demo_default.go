//go:build !linux

package demo

import "context"

func run(context.Context, Options) error { return ErrNotSupported }
