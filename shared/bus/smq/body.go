package smq

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/fc-eventing/fc-eventing/shared/event"
)

// notification is a topic message in a queue subscription's XML format.
type notification struct {
	XMLName xml.Name `xml:"Notification"`
	Message string   `xml:"Message"`
}

// DecodeBody turns an SMQ message body into the event it carries: the
// CloudEvents JSON itself, the same base64-encoded (as SDKs that encode
// bodies send it), or either wrapped in a topic's XML notification.
func DecodeBody(body string) (event.Event, error) {
	s := strings.TrimSpace(body)
	if strings.HasPrefix(s, "<") {
		var n notification
		if err := xml.Unmarshal([]byte(s), &n); err != nil {
			return event.Event{}, fmt.Errorf("decoding topic notification: %w", err)
		}
		s = strings.TrimSpace(n.Message)
	}
	raw := []byte(s)
	if !bytes.HasPrefix(raw, []byte("{")) {
		dec, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return event.Event{}, fmt.Errorf("message body is neither JSON nor base64")
		}
		raw = bytes.TrimSpace(dec)
	}
	var e event.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return event.Event{}, fmt.Errorf("decoding event: %w", err)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, err
	}
	return e, nil
}
