package readmetest

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseWalkthrough checks the reading of the README, without the
// services: what a wrong reading would let pass is the whole point.
func TestParseWalkthrough(t *testing.T) {
	readme := strings.Join([]string{
		"```sh", "make run", "# not run: outside the markers", "```",
		startMarker,
		"```sh",
		"TOKEN=$(make -s token)   # a customer's",
		"",
		"# prose, not an expectation",
		"curl -s localhost:8080/orders \\",
		"  -d '{}'",
		`# {"id":"…",`,
		`#  "total":1}`,
		"```",
		endMarker,
	}, "\n")
	got, err := parseWalkthrough(readme)
	if err != nil {
		t.Fatal(err)
	}
	want := []step{
		{line: 7, command: "TOKEN=$(make -s token)   # a customer's"},
		{line: 10, command: "curl -s localhost:8080/orders \\\n  -d '{}'", expect: []string{`{"id":"…",`, `"total":1}`}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parsed\n%#v\nwant\n%#v", got, want)
	}

	for name, bad := range map[string]string{
		"fence opened twice": startMarker + "\n```sh\nprose\n\n```sh\ncurl x\n```\n" + endMarker,
		"fence not closed":   startMarker + "\n```sh\ncurl x\n" + endMarker,
		"region not closed":  startMarker + "\n```sh\ncurl x\n```\n",
		"no commands":        "```sh\ncurl x\n```\n",
	} {
		if _, err := parseWalkthrough(bad); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}
}

// TestOutputPattern checks the matching of outputs against comments.
func TestOutputPattern(t *testing.T) {
	for _, c := range []struct {
		expect []string
		output string
		match  bool
	}{
		{[]string{`{"id":"…","status":"confirmed",…}`}, `{"id":"7ba8","status":"confirmed","total":1}`, true},
		{[]string{`{"id":"…","status":"shipped",…}`}, `{"id":"7ba8","status":"confirmed","total":1}`, false},
		{[]string{`{"a":1,`, `"b":2}`}, `{"a":1,"b":2}`, true},
		{[]string{`name=OrderPlaced`, `{"version":1,…}`}, "p=0 name=OrderPlaced\n  {\"version\":1,\"x\":2}\n1 event(s)", true},
		{[]string{`name=… x`}, "name=a\nb x", false}, // … stays within a line
	} {
		if got := outputPattern(c.expect).MatchString(c.output); got != c.match {
			t.Errorf("%q against %q: match %v, want %v", c.expect, c.output, got, c.match)
		}
	}
	if isRead(`curl -s -X PUT localhost:8081/x -d '{}'`) || !isRead(`curl -s "localhost:8082/payments?order_id=$id"`) || !isRead("make tail") {
		t.Error("isRead: a PUT is a read, or a GET or make tail is not")
	}
}
