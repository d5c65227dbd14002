package server_test

// statsEntries are the matrix rows of the statistics and the exports.
func (f *matrixFixture) statsEntries() []matrixEntry { return nil }
