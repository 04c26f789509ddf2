// Package readmetest runs the README's walk-through as written against
// `make run`: the token commands, an order placed and read back, the
// stock PUTs, an order that ends confirmed and one cancelled for lack of
// stock. Each command's output must match the `# …` lines under it, so
// the test fails when the README and the service drift apart.
//
// The walk-through is the ```sh blocks between <!-- walkthrough:start -->
// and <!-- walkthrough:end --> in README.md. `make run` gets a database
// and Kafka topics of the test's own (the walk-through's stock numbers
// are those of a first run), on the ports the README names.
package readmetest
