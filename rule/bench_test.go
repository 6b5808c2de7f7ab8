package rule

import "testing"

func BenchmarkProgramEval(b *testing.B) {
	p, err := Compile(`record.total > 5000 && auth.role == "admin" && "vip" in record.tags`, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := p.EvalBool(env); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkProgramEvalMetered(b *testing.B) {
	p, err := Compile(`any(record.items, .qty > 1) && upper(record.customer_name) + "!" == "ANN LEE!"`, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := p.EvalBool(env); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkTemplateRender(b *testing.B) {
	t, err := CompileTemplate(map[string]any{
		"url":  "https://api.example.com/customers/{{ record.id }}",
		"body": map[string]any{"text": "Order {{record.id}} total {{record.total}}", "total": "{{ record.total }}", "tags": "{{ record.tags }}"},
	}, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Render(env); err != nil {
			b.Fatal(err)
		}
	}
}
