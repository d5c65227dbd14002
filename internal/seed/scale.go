package seed

import (
	"context"
	"errors"
	"io"

	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Scale writes synthetic founders with cases and casework for benchmarks.
func Scale(ctx context.Context, st *store.Store, founders int, out io.Writer) error {
	return errors.New("seed scale: not built yet")
}
