package host

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ValidateConfig checks an operator's settings for the plugin against the
// manifest's spec.config JSON Schema (no schema: any JSON object is fine).
func (m *Manifest) ValidateConfig(cfg json.RawMessage) error {
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(cfg))
	if err != nil {
		return fmt.Errorf("plugin %s: config is not JSON: %w", m.Metadata.Name, err)
	}
	if _, ok := inst.(map[string]any); !ok {
		return fmt.Errorf("plugin %s: config must be a JSON object", m.Metadata.Name)
	}
	if len(m.Spec.Config) == 0 {
		return nil
	}
	// The schema came from YAML; round-trip it through JSON for the compiler.
	raw, err := json.Marshal(m.Spec.Config)
	if err != nil {
		return fmt.Errorf("plugin %s: spec.config: %w", m.Metadata.Name, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("plugin %s: spec.config: %w", m.Metadata.Name, err)
	}
	c := jsonschema.NewCompiler()
	const url = "plugin-config.json"
	if err := c.AddResource(url, doc); err != nil {
		return fmt.Errorf("plugin %s: spec.config: %w", m.Metadata.Name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("plugin %s: spec.config is not a valid JSON Schema: %w", m.Metadata.Name, err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("plugin %s: config: %w", m.Metadata.Name, err)
	}
	return nil
}
