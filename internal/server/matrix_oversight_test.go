package server_test

// oversightEntries are the matrix rows of the caseload review and the team agenda.
func (f *matrixFixture) oversightEntries() []matrixEntry { return nil }
