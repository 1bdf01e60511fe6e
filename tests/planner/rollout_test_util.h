// Builders for rollout tests.
#pragma once

#include <string>

#include "gorch/planner/rollout.h"

namespace gorch::planner::testing {

inline PodStatus PodState(std::string name, bool updated = false, bool ready = false, bool available = false) {
  PodStatus p;
  p.name = std::move(name);
  p.updated = updated;
  p.ready = ready;
  p.available = available;
  return p;
}

}  // namespace gorch::planner::testing
