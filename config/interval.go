package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Interval is catalog.processingInterval. It accepts Backstage's forms —
// a HumanDuration mapping ({minutes: 2}, {seconds: 30}, …) or false (processing
// disabled) — and a Go duration string ("90s", "2m").
type Interval struct {
	Duration time.Duration
	Disabled bool
	set      bool
}

// humanUnits are Backstage's HumanDuration keys.
var humanUnits = map[string]time.Duration{
	"milliseconds": time.Millisecond,
	"seconds":      time.Second,
	"minutes":      time.Minute,
	"hours":        time.Hour,
	"days":         24 * time.Hour,
	"weeks":        7 * 24 * time.Hour,
}

// UnmarshalYAML decodes any of the accepted forms.
func (iv *Interval) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseIntervalNode(n)
	if err != nil {
		return err
	}
	*iv = v
	return nil
}

func parseIntervalNode(n *yaml.Node) (Interval, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return ParseInterval(n.Value)
	case yaml.MappingNode:
		var total time.Duration
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			unit, ok := humanUnits[k.Value]
			if !ok {
				return Interval{}, fmt.Errorf("line %d: catalog.processingInterval: unknown unit %q (expected milliseconds, seconds, minutes, hours, days or weeks)", k.Line, k.Value)
			}
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || f < 0 {
				return Interval{}, fmt.Errorf("line %d: catalog.processingInterval.%s: expected a non-negative number but found %q", v.Line, k.Value, v.Value)
			}
			total += time.Duration(f * float64(unit))
		}
		if total <= 0 {
			return Interval{}, fmt.Errorf("line %d: catalog.processingInterval must be more than zero (use false to disable processing)", n.Line)
		}
		return Interval{Duration: total, set: true}, nil
	}
	return Interval{}, fmt.Errorf("line %d: catalog.processingInterval: expected {minutes: N}, a duration like 2m, or false", n.Line)
}

// ParseInterval parses the scalar forms: false, or a Go duration string.
func ParseInterval(s string) (Interval, error) {
	s = strings.TrimSpace(s)
	if s == "false" {
		return Interval{Disabled: true, set: true}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Interval{}, fmt.Errorf("catalog.processingInterval: expected {minutes: N}, a duration like 2m, or false but found %q", s)
	}
	return Interval{Duration: d, set: true}, nil
}

// String renders the interval for logs.
func (iv Interval) String() string {
	if iv.Disabled {
		return "disabled"
	}
	return iv.Duration.String()
}
