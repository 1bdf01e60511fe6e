// IntOrPercent, wave descriptions, and the wave simulation every strategy shares.
#include <algorithm>
#include <charconv>

#include "rollout_internal.h"

namespace gorch::planner {

Result<IntOrPercent> IntOrPercent::Parse(std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  std::string_view digits = percent ? text.substr(0, text.size() - 1) : text;
  int32_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || v < 0) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a count or a percentage");
  }
  return IntOrPercent{v, percent};
}

int32_t IntOrPercent::Scaled(int32_t total, bool round_up) const {
  if (!percent) return value;
  const int64_t product = int64_t{value} * total;
  return static_cast<int32_t>(round_up ? (product + 99) / 100 : product / 100);
}

std::string IntOrPercent::ToString() const { return std::to_string(value) + (percent ? "%" : ""); }

std::string_view WaitKindName(WaitKind kind) {
  switch (kind) {
    case WaitKind::kReady: return "ready";
    case WaitKind::kTerminated: return "terminated";
    case WaitKind::kCompleted: return "completed";
  }
  return "?";
}

std::string DescribeWaves(const std::vector<RolloutWave>& waves) {
  std::string out;
  for (const RolloutWave& w : waves) {
    out += "+" + std::to_string(w.added.size()) + " -" + std::to_string(w.removed.size());
    for (const WaitFor& wait : w.waits) {
      out += " ";
      out += WaitKindName(wait.kind);
      out += "(" + std::to_string(wait.pods.size()) + ")";
      if (wait.kind == WaitKind::kReady && wait.min_ready_seconds > 0) {
        out += "+" + std::to_string(wait.min_ready_seconds) + "s";
      }
    }
    out += "\n";
  }
  return out;
}

namespace internal {

std::string NextFreeName(const std::string& prefix, std::set<std::string>* used, int* from) {
  for (int k = from ? std::max(1, *from) : 1;; ++k) {
    std::string name = prefix + "-" + std::to_string(k);
    if (used->insert(name).second) {
      if (from) *from = k + 1;
      return name;
    }
  }
}

std::set<std::string> PodNames(const std::vector<PodStatus>& pods) {
  std::set<std::string> names;
  for (const PodStatus& p : pods) names.insert(p.name);
  return names;
}

std::vector<const PodStatus*> DeletionOrder(const std::vector<const PodStatus*>& pods) {
  std::vector<const PodStatus*> out(pods.rbegin(), pods.rend());  // newest first
  std::stable_sort(out.begin(), out.end(), [](const PodStatus* a, const PodStatus* b) {
    auto rank = [](const PodStatus* p) { return (p->ready ? 2 : 0) + (p->available ? 1 : 0); };
    return rank(a) < rank(b);
  });
  return out;
}

namespace {

// Deleted pods vanish; the rest become ready and available (or complete).
void Settle(std::vector<PodStatus>* pods, WaitKind created_wait) {
  std::erase_if(*pods, [](const PodStatus& p) { return p.terminating; });
  for (PodStatus& p : *pods) {
    if (created_wait == WaitKind::kCompleted) {
      if (!p.failed) p.succeeded = true;
    } else {
      p.ready = true;
      p.available = true;
    }
  }
}

// What an empty step waits for: pods terminating, not yet available, or running.
RolloutWave WaitingWave(const std::vector<PodStatus>& pods, WaitKind created_wait, int32_t min_ready) {
  RolloutWave wave;
  WaitFor gone{WaitKind::kTerminated, {}, 0}, ready{created_wait, {}, min_ready};
  for (const PodStatus& p : pods) {
    if (p.terminating) {
      gone.pods.push_back(p.name);
    } else if (created_wait == WaitKind::kCompleted ? !p.succeeded && !p.failed : !p.available) {
      ready.pods.push_back(p.name);
    }
  }
  if (!gone.pods.empty()) wave.waits.push_back(std::move(gone));
  if (!ready.pods.empty()) wave.waits.push_back(std::move(ready));
  return wave;
}

}  // namespace

Result<std::vector<RolloutWave>> SimulateWaves(
    std::vector<PodStatus> pods, const std::function<Result<RolloutStep>(const std::vector<PodStatus>&)>& next,
    WaitKind created_wait, int32_t min_ready_seconds, size_t max_steps) {
  std::vector<RolloutWave> waves;
  for (size_t step_count = 0;; ++step_count) {
    if (step_count > max_steps) return Status::Internal("rollout does not converge");
    Result<RolloutStep> step = next(pods);
    if (!step.ok()) return step.status();
    if (step->complete) return waves;
    if (step->empty()) {
      RolloutWave wave = WaitingWave(pods, created_wait, min_ready_seconds);
      if (wave.waits.empty()) return Status::Internal("rollout makes no progress");
      waves.push_back(std::move(wave));
      Settle(&pods, created_wait);
      continue;
    }
    RolloutWave wave;
    wave.removed = step->remove;
    for (const PodToCreate& c : step->create) wave.added.push_back(c.name);
    if (!wave.removed.empty()) wave.waits.push_back({WaitKind::kTerminated, wave.removed, 0});
    if (!wave.added.empty()) {
      wave.waits.push_back({created_wait, wave.added, created_wait == WaitKind::kReady ? min_ready_seconds : 0});
    }
    for (const std::string& name : step->remove) {
      for (PodStatus& p : pods) {
        if (p.name == name) p.terminating = true;
      }
    }
    for (const PodToCreate& c : step->create) {
      PodStatus p;
      p.name = c.name;
      p.updated = c.updated;
      p.ordinal = c.ordinal;
      p.node = c.node;
      pods.push_back(std::move(p));
    }
    waves.push_back(std::move(wave));
    Settle(&pods, created_wait);
  }
}

}  // namespace internal
}  // namespace gorch::planner
