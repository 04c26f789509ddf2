package readmetest

import (
	"fmt"
	"strings"
)

// The walk-through is the ```sh blocks between these markers, invisible
// on GitHub; a README may have several such regions.
const (
	startMarker = "<!-- walkthrough:start -->"
	endMarker   = "<!-- walkthrough:end -->"
)

// step is one command of the walk-through and the output it shows.
type step struct {
	line    int      // README line of the command's first line
	command string   // as written, continuation lines included
	expect  []string // the comment lines right under it, without the "#"
}

// parseWalkthrough returns the walk-through's commands in order. A
// command is a line that is not a comment, with its `\` continuations;
// comment lines right under it show its output, while a comment after a
// blank line is prose. It also refuses a fence opened inside an open one:
// GitHub then shows the text between as code.
func parseWalkthrough(readme string) ([]step, error) {
	var (
		steps              []step
		inRegion, inFence  bool
		runFence, cont     bool
		fence              string // the open fence's backticks
		fenceLine, current int    // current: 1 + index of the step being read, 0 for none
	)
	for i, line := range strings.Split(readme, "\n") {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		switch {
		case inFence && strings.HasPrefix(trimmed, fence):
			if strings.Trim(trimmed, "`") != "" {
				return nil, fmt.Errorf("README.md:%d: a fence opens inside the one opened on line %d; close that one first", n, fenceLine)
			}
			inFence, runFence, cont, current = false, false, false, 0
		case inFence && runFence:
			switch {
			case cont:
				steps[current-1].command += "\n" + line
				cont = strings.HasSuffix(trimmed, `\`)
			case trimmed == "":
				current = 0
			case strings.HasPrefix(trimmed, "#"):
				if current != 0 {
					steps[current-1].expect = append(steps[current-1].expect, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
				}
			default:
				steps = append(steps, step{line: n, command: line})
				current, cont = len(steps), strings.HasSuffix(trimmed, `\`)
			}
		case inFence:
		case strings.HasPrefix(trimmed, "```"):
			inFence, fenceLine = true, n
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
			runFence = inRegion && strings.TrimSpace(strings.TrimLeft(trimmed, "`")) == "sh"
		case trimmed == startMarker:
			if inRegion {
				return nil, fmt.Errorf("README.md:%d: %s inside a walk-through region", n, startMarker)
			}
			inRegion = true
		case trimmed == endMarker:
			if !inRegion {
				return nil, fmt.Errorf("README.md:%d: %s without %s", n, endMarker, startMarker)
			}
			inRegion = false
		}
	}
	switch {
	case inFence:
		return nil, fmt.Errorf("README.md:%d: the fence opened here is never closed", fenceLine)
	case inRegion:
		return nil, fmt.Errorf("README.md: a walk-through region has no %s", endMarker)
	case len(steps) == 0:
		return nil, fmt.Errorf("README.md: no ```sh commands between %s and %s", startMarker, endMarker)
	}
	return steps, nil
}
