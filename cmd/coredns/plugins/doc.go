package plugins

//go:generate go run ../../plugingen -in ../../../plugin.cfg -out zplugins.go
