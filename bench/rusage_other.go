//go:build !unix

package main

import (
	"os"
	"time"
)

// maxRSS is not measured on this system.
func maxRSS(*os.ProcessState) int64 { return 0 }

// selfMaxRSS is not measured on this system.
func selfMaxRSS() int64 { return 0 }

// processCPU is not measured on this system.
func processCPU() time.Duration { return 0 }
