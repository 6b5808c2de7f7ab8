// Package js holds the browser SDK served at /sdk.js.
package js

import _ "embed"

// Script is the browser SDK.
//
//go:embed hookline.js
var Script []byte
