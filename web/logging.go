package web

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// requestLogger logs one line per request at Info (Warn for 5xx) with method,
// path, status, size and duration. Errors are mapped before the line is written,
// so the status logged is the status sent.
func requestLogger(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Map now so the logged status is final; returning nil stops Fiber
			// from running the handler a second time.
			if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("method", c.Method()),
			slog.String("path", c.Path()),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
		}
		// A streamed body is written after this returns; reading it here would buffer it.
		if !c.Response().IsBodyStream() {
			attrs = append(attrs, slog.Int("bytes", len(c.Response().Body())))
		}
		log.LogAttrs(c.UserContext(), level, "http request", attrs...)
		return nil
	}
}
