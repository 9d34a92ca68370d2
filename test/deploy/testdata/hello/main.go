// Command hello is the smallest program the packaging test builds the way a
// function is built for Function Compute.
package main

import "fmt"

func main() { fmt.Println("hello from a packaged function") }
