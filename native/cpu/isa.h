// Which kernel table runs: detected from the CPU once, overridable by GATEDRNN_ISA or by tests.
#pragma once

#include <string>
#include <vector>

#include "kernels.h"

namespace gatedrnn {

// The table in use now.
const KernelTable& active_kernels();
// Names of the tables this CPU can run, best first (e.g. {"avx512", "avx2", "scalar"}).
std::vector<std::string> supported_isas();
// Switches the table; returns false (and changes nothing) when the CPU cannot run `name`.
bool select_isa(const std::string& name);

}  // namespace gatedrnn
