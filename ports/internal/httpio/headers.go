package httpio

import "net/http"

// securityHeaders sets on every answer of an API the headers that keep a
// browser from doing anything clever with it: the APIs answer JSON (and
// their OpenAPI YAML), never pages, so nothing may be sniffed, cached,
// framed, run or sent on as a referrer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
