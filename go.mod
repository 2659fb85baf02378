module aeir

go 1.26

require (
	github.com/go-gota/gota v0.12.0
	github.com/sbinet/npyio v0.9.0
	golang.org/x/image v0.30.0
	golang.org/x/text v0.28.0
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/nlpodyssey/gopickle v0.3.0 // indirect
	golang.org/x/net v0.0.0-20210423184538-5f58ad60dda6 // indirect
)
