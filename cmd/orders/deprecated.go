package main

import (
	"fmt"
	"log/slog"
)

// Renamed settings and commands keep their old names for one release: the
// old name still works, and the process says once, at start, at WARN, what
// to use instead (README, "Configuration").

// deprecatedCommands maps an old command name to the one it became.
var deprecatedCommands = map[string]string{
	"forward": "forwarder",
}

// renamed returns the variable to read for a setting called name, once
// called old: name when it is set or old is not, else old, noting the
// deprecation.
func (p *envParser) renamed(name, old string) string {
	if p.set(name) || !p.set(old) {
		return name
	}
	p.deprecated = append(p.deprecated, fmt.Sprintf("%s is deprecated and will be removed in the next release; set %s instead", old, name))
	return old
}

// currentCommand returns the command an old name stands for, warning that
// the name is deprecated; any other name as it is.
func currentCommand(cmd string, logger *slog.Logger) string {
	if now, ok := deprecatedCommands[cmd]; ok {
		logger.Warn("`orders "+cmd+"` is deprecated and will be removed in the next release; run `orders "+now+"` instead", "command", now)
		return now
	}
	return cmd
}

// warnDeprecated logs, once, each deprecated setting the configuration was
// read from.
func warnDeprecated(cfg Config, logger *slog.Logger) {
	for _, msg := range cfg.deprecated {
		logger.Warn(msg)
	}
}
