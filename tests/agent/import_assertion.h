// ASSERT_TRUE(Imported(endpoint)): imports the local images (containerd.h) and,
// when that fails, says why in the test's failure message.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gorch/agent/containerd.h"

namespace gorch::agent {

inline ::testing::AssertionResult Imported(const std::string& endpoint) {
  Status s = ImportLocalImages(endpoint);
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "ImportLocalImages(" << endpoint << "): " << s.ToString();
}

}  // namespace gorch::agent
