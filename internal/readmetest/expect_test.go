package readmetest

import (
	"regexp"
	"strings"
)

// outputPattern compiles the comment lines under a command into what its
// output must contain: `…` stands for anything within a line, and where
// the comments break a line the output may have white space or nothing
// (the README wraps a long JSON object that the service prints on one
// line).
func outputPattern(expect []string) *regexp.Regexp {
	lines := make([]string, len(expect))
	for i, e := range expect {
		parts := strings.Split(e, "…")
		for j, p := range parts {
			parts[j] = regexp.QuoteMeta(p)
		}
		lines[i] = strings.Join(parts, `[^\n]*`)
	}
	return regexp.MustCompile(strings.Join(lines, `\s*`))
}

// writes matches a curl option that sends a method or data: such a
// command changes something and runs once. Any other command only reads,
// and may be run again until the saga, which is asynchronous, has got as
// far as its comments show.
var writes = regexp.MustCompile(`(^|\s)(-X|--request|-d|--data[a-z-]*)(\s|=|$)`)

func isRead(command string) bool { return !writes.MatchString(command) }
