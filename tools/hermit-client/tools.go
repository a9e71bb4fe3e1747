//go:build tools

// Package tools pins the Hermit client that packyard's tests install manifests with: go.mod
// requires github.com/cashapp/hermit at an explicit version (the module proxy serves explicit
// versions but refuses @latest and @v/list for it, so `go install …@version` cannot be used), and
// `go build github.com/cashapp/hermit/cmd/hermit` run in this directory builds exactly that version.
package tools

import _ "github.com/cashapp/hermit/cmd/hermit"
