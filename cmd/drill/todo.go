package main

import "context"

func drillReplica(ctx context.Context, e *env) ([]result, error)   { return nil, nil }
func drillBackup(ctx context.Context, e *env) ([]result, error)    { return nil, nil }
