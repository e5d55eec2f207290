// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The tool's own object, compiled into the tests too: the spec layer's real-world input. */
#include "tcpstates.bpf.c"
