// libraft's C headers, which declare no extern "C" themselves. Include this, never <raft.h>.
#pragma once

extern "C" {
#include <raft.h>
#include <raft/uv.h>
}
