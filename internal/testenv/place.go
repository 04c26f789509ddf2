package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// PlaceOrder places an order for customer over HTTP on the API at apiAddr
// (host:port) and returns its ID; anything but a 201 with an ID is an
// error. items is marshalled as the body's "items".
func PlaceOrder(ctx context.Context, client *http.Client, apiAddr, customer string, items any) (string, error) {
	body, err := json.Marshal(map[string]any{"customer_id": customer, "currency": "EUR", "items": items})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+apiAddr+"/orders", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /orders: %d %s", resp.StatusCode, raw)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("POST /orders: %w: %s", err, raw)
	}
	return out.ID, nil
}
