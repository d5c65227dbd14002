package server

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// OpenAPI is the API description served at /api/v1/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

func (s *Server) healthz(c *gin.Context) error { c.String(http.StatusOK, "ok"); return nil }

// readyz answers 503 while shutting down or while the database does not answer.
func (s *Server) readyz(c *gin.Context) error {
	if !s.ready.Load() {
		c.String(http.StatusServiceUnavailable, "shutting down")
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.env.Store.Ping(ctx); err != nil {
		c.String(http.StatusServiceUnavailable, "database unavailable")
		return nil
	}
	c.String(http.StatusOK, "ready")
	return nil
}

// metricsHandler serves /metrics on the main listener only with Config.MetricsPublic:
// otherwise the route answers as if it did not exist (404), and the metrics are on the
// separate address (LOTSE_METRICS_ADDR) that only the monitoring reaches.
func (s *Server) metricsHandler(c *gin.Context) error {
	if !s.cfg.MetricsPublic {
		return domain.NotFound()
	}
	promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(c.Writer, c.Request)
	return nil
}

func (s *Server) openAPI(c *gin.Context) error {
	c.Data(http.StatusOK, "application/yaml", OpenAPI)
	return nil
}

// MetricsHandler serves /metrics on a separate address (LOTSE_METRICS_ADDR).
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}
