package admin_test

import (
	"net/url"
	"strings"
	"testing"
)

// A small HTML reader for the handler tests: it submits the editor page as
// a browser would, without a browser.

type tag struct {
	name  string
	close bool
	attrs map[string]string
	end   int // index after '>'
}

// nextTag reads the tag at html[i] == '<', honouring quoted attributes.
func nextTag(html string, i int) tag {
	j := i + 1
	t := tag{attrs: map[string]string{}}
	if j < len(html) && html[j] == '/' {
		t.close = true
		j++
	}
	k := j
	for k < len(html) && html[k] != ' ' && html[k] != '>' && html[k] != '\n' {
		k++
	}
	t.name = strings.ToLower(html[j:k])
	for k < len(html) && html[k] != '>' {
		for k < len(html) && (html[k] == ' ' || html[k] == '\n' || html[k] == '/') {
			k++
		}
		a := k
		for k < len(html) && html[k] != '=' && html[k] != ' ' && html[k] != '>' && html[k] != '\n' {
			k++
		}
		name := html[a:k]
		val := ""
		if k < len(html) && html[k] == '=' {
			k++
			if q := html[k]; q == '"' || q == '\'' {
				e := strings.IndexByte(html[k+1:], q)
				val = html[k+1 : k+1+e]
				k += e + 2
			} else {
				a := k
				for k < len(html) && html[k] != ' ' && html[k] != '>' {
					k++
				}
				val = html[a:k]
			}
		}
		if name != "" {
			t.attrs[name] = htmlUnescape(val)
		}
	}
	t.end = k + 1
	return t
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&#43;", "+", "&amp;", "&").Replace(s)
}

// formFromEditor reads the editor page as a browser submits it: the
// fields of enabled fieldsets, checked boxes, selected options.
func formFromEditor(t *testing.T, body string) url.Values {
	t.Helper()
	start := strings.Index(body, `<form id="editor"`)
	end := strings.Index(body, `<template id="tpl-action">`)
	html := body[start:end]
	f := url.Values{}
	disabled := 0 // depth inside a disabled fieldset
	var stack []bool
	var sel string
	var selFirst, selChosen string
	selOn, hasFirst, hasChosen := false, false, false
	for i := 0; i < len(html); {
		if html[i] != '<' {
			i++
			continue
		}
		tg := nextTag(html, i)
		i = tg.end
		_, off := tg.attrs["disabled"]
		switch {
		case tg.name == "fieldset" && !tg.close:
			stack = append(stack, off)
			if off {
				disabled++
			}
		case tg.name == "fieldset" && tg.close:
			if stack[len(stack)-1] {
				disabled--
			}
			stack = stack[:len(stack)-1]
		case disabled > 0 || off:
		case tg.name == "input" && tg.attrs["name"] != "":
			n := tg.attrs["name"]
			switch tg.attrs["type"] {
			case "checkbox", "radio":
				if _, on := tg.attrs["checked"]; on {
					v, ok := tg.attrs["value"]
					if !ok {
						v = "on"
					}
					f.Add(n, v)
				}
			default:
				f.Add(n, tg.attrs["value"])
			}
		case tg.name == "textarea" && !tg.close:
			e := strings.Index(html[i:], "</textarea>")
			f.Add(tg.attrs["name"], htmlUnescape(strings.TrimPrefix(html[i:i+e], "\n")))
			i += e
		case tg.name == "select" && !tg.close:
			sel, selOn, hasFirst, hasChosen = tg.attrs["name"], true, false, false
		case tg.name == "option" && !tg.close && selOn:
			v, ok := tg.attrs["value"]
			if !ok {
				e := strings.IndexByte(html[i:], '<')
				v = htmlUnescape(strings.TrimSpace(html[i : i+e]))
			}
			if !hasFirst {
				selFirst, hasFirst = v, true
			}
			if _, on := tg.attrs["selected"]; on {
				selChosen, hasChosen = v, true
			}
		case tg.name == "select" && tg.close && selOn:
			if !hasChosen {
				selChosen = selFirst
			}
			f.Add(sel, selChosen)
			selOn = false
		}
	}
	return f
}
