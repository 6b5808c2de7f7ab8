package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/hookdoc"
)

// exitCode is an error that only sets the process's exit status (the
// command has printed what it had to say).
type exitCode int

func (c exitCode) Error() string { return "exit status " + strconv.Itoa(int(c)) }

// client talks to a hookline server's REST API.
type client struct {
	url, key string
	http     *http.Client
}

// clientFlags adds --url and --key (HOOKLINE_URL, HOOKLINE_KEY) to fs.
func clientFlags(fs *flag.FlagSet, getenv func(string) string) *client {
	c := &client{http: &http.Client{Timeout: 2 * time.Minute}}
	def := func(env, v string) string {
		if s := getenv(env); s != "" {
			return s
		}
		return v
	}
	fs.StringVar(&c.url, "url", def("HOOKLINE_URL", "http://localhost:8080"), "the hookline server (HOOKLINE_URL)")
	fs.StringVar(&c.key, "key", def("HOOKLINE_KEY", ""), "an API key of the account, manager or admin role (HOOKLINE_KEY)")
	return c
}

// apiError is an error answer of the API.
type apiError struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"message"`
	Field  string `json:"field"`
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("the server answered %d %s: %s", e.Status, e.Code, e.Msg)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// do calls the API; a non-2xx answer is an *apiError.
func (c *client) do(method, path string, body any) ([]byte, error) {
	if c.key == "" {
		return nil, errors.New("no API key: pass --key or set HOOKLINE_KEY")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.url, "/")+path, rd)
	if err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
			return nil, fmt.Errorf("%s %s: the server answered %s", method, path, res.Status)
		}
		e.Error.Status = res.StatusCode
		return nil, &e.Error
	}
	return b, nil
}

// paths is a repeatable -f flag.
type paths []string

func (p *paths) String() string     { return strings.Join(*p, ",") }
func (p *paths) Set(s string) error { *p = append(*p, s); return nil }

// source is where one document came from.
type source struct {
	file  string
	index int // among the file's documents
	count int // documents in the file
	data  []byte
}

func (s source) name() string {
	if s.count > 1 {
		return fmt.Sprintf("%s (document %d)", s.file, s.index+1)
	}
	return s.file
}

// readDocuments reads every .yaml, .yml and .json file of the paths
// (folders recursively, in name order) as apply documents.
func readDocuments(ps []string) ([]json.RawMessage, []source, error) {
	var files []string
	for _, p := range ps {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					found = append(found, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	var docs []json.RawMessage
	var srcs []source
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		ds, err := hookdoc.Split(f, data)
		if err != nil {
			return nil, nil, err
		}
		for i, d := range ds {
			docs = append(docs, d)
			srcs = append(srcs, source{file: f, index: i, count: len(ds), data: data})
		}
	}
	if len(docs) == 0 {
		return nil, nil, fmt.Errorf("no documents in %s (YAML or JSON files with event_types, collections or hooks)", strings.Join(ps, ", "))
	}
	return docs, srcs, nil
}

var docFieldRE = regexp.MustCompile(`^documents\[(\d+)\]\.?(.*)$`)

// locate turns an error about documents[i].field into one naming the file
// and the line.
func locate(err error, srcs []source) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	m := docFieldRE.FindStringSubmatch(ae.Field)
	if m == nil {
		return err
	}
	i, _ := strconv.Atoi(m[1])
	if i >= len(srcs) {
		return err
	}
	src := srcs[i]
	where := src.name()
	if line, ok := hookdoc.Line(src.data, src.index, m[2]); ok {
		where = fmt.Sprintf("%s:%d", src.file, line)
		if src.count > 1 {
			where += fmt.Sprintf(" (document %d)", src.index+1)
		}
	}
	return fmt.Errorf("%s: %s: %s (%d %s)", where, m[2], ae.Msg, ae.Status, ae.Code)
}

func applyCmd(args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	var files paths
	fs.Var(&files, "f", "a YAML or JSON file, or a folder of them (repeatable)")
	c := clientFlags(fs, getenv)
	account := fs.String("account", "", "the account to change (default: the key's)")
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	prune := fs.Bool("prune", false, "delete the account's keyed hooks the documents do not name")
	exit := fs.Bool("exit-code", false, "with --dry-run: exit with status 2 when there are changes")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hookline apply -f PATH [--dry-run [--exit-code]] [--prune] [--account ID] [--url URL] [--key KEY]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("apply: -f PATH is required (a YAML or JSON file, or a folder)")
	}
	docs, srcs, err := readDocuments(files)
	if err != nil {
		return err
	}
	req := hookline.ApplyRequest{AccountID: *account, Documents: docs, Prune: *prune, DryRun: true}
	plan, err := c.apply(req)
	if err != nil {
		return locate(err, srcs)
	}
	printPlan(stdout, plan)
	if plan.Changes() == 0 {
		fmt.Fprintln(stdout, "No changes: the account matches the documents.")
		return nil
	}
	if *dry {
		if *exit {
			return exitCode(2)
		}
		return nil
	}
	req.DryRun = false
	done, err := c.apply(req)
	if err != nil {
		return locate(err, srcs)
	}
	if fmt.Sprint(done.Summary) != fmt.Sprint(plan.Summary) {
		fmt.Fprintln(stdout, "\nThe account changed meanwhile; this is what was applied:")
		printPlan(stdout, done)
	}
	s := done.Summary
	fmt.Fprintf(stdout, "Applied: %d created, %d updated, %d deleted.\n", s[hookline.PlanCreate], s[hookline.PlanUpdate], s[hookline.PlanDelete])
	return nil
}

func (c *client) apply(req hookline.ApplyRequest) (*hookline.Plan, error) {
	b, err := c.do("POST", "/api/v1/apply", req)
	if err != nil {
		return nil, err
	}
	var p hookline.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("the server's plan cannot be read: %w", err)
	}
	return &p, nil
}

var planMarks = map[string]string{hookline.PlanCreate: "+", hookline.PlanUpdate: "~", hookline.PlanUnchanged: "=", hookline.PlanDelete: "-"}

// printPlan writes a plan a person reads: one line per item, the changed
// fields of updates under them, then the totals.
func printPlan(w io.Writer, p *hookline.Plan) {
	fmt.Fprintf(w, "Plan for account %s:\n", p.AccountID)
	for _, it := range p.Items {
		line := fmt.Sprintf("  %s %s %s", planMarks[it.Action], strings.ReplaceAll(it.Kind, "_", " "), it.Key)
		if it.ID != "" {
			line += " (" + it.ID + ")"
		}
		fmt.Fprintf(w, "%s: %s\n", line, it.Action)
		for _, d := range it.Diff {
			fmt.Fprintf(w, "      %s: %s → %s\n", d.Field, show(d.Old), show(d.New))
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "  ! %s\n", warn)
	}
	s := p.Summary
	fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to delete, %d unchanged.\n",
		s[hookline.PlanCreate], s[hookline.PlanUpdate], s[hookline.PlanDelete], s[hookline.PlanUnchanged])
}

// show is a value of a diff: compact JSON, "(none)" when absent.
func show(v any) string {
	if v == nil {
		return "(none)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func exportCmd(args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	c := clientFlags(fs, getenv)
	account := fs.String("account", "", "the account to export (default: the key's)")
	format := fs.String("format", "yaml", "yaml or json")
	out := fs.String("o", "", "write to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: hookline export [--account ID] [--format yaml|json] [-o FILE] [--url URL] [--key KEY]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := url.Values{"format": {*format}}
	if *account != "" {
		q.Set("account_id", *account)
	}
	b, err := c.do("GET", "/api/v1/export?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, b, 0o644)
	}
	_, err = stdout.Write(b)
	return err
}
