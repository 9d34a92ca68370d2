package event

import (
	"encoding/base64"
	"encoding/json"
)

// decodeBase64Data turns a data_base64 member into JSON data: the decoded
// bytes when they are JSON, otherwise a JSON string holding them.
func decodeBase64Data(s string) (json.RawMessage, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if json.Valid(raw) {
		return raw, nil
	}
	return json.Marshal(string(raw))
}
