// Placeholder definitions so that callers link while the controllers are written.
#include "gorch/engine/controllers.h"

namespace gorch::engine {

std::shared_ptr<store::Clock> SystemWallClock() { return store::SystemClock(); }
Result<std::unique_ptr<ControlPlane>> ControlPlane::Start(store::Store&, const ControlPlaneOptions&) {
  return Status::Internal("controllers: not implemented yet");
}
Result<std::unique_ptr<ControlPlane>> ControlPlane::Create(store::Store&, const ControlPlaneOptions&) {
  return Status::Internal("controllers: not implemented yet");
}
Status RecordEvent(store::Store&, const ObjectRef&, EventType, std::string_view, std::string_view, store::Clock&) {
  return Status::Internal("not implemented yet");
}
Result<std::vector<RolloutRevision>> RolloutHistory(store::Store&, std::string_view, std::string_view) {
  return Status::Internal("not implemented yet");
}
Result<int64_t> RolloutUndo(store::Store&, std::string_view, std::string_view, std::optional<int64_t>) {
  return Status::Internal("not implemented yet");
}
Status RolloutSetPaused(store::Store&, std::string_view, std::string_view, bool) {
  return Status::Internal("not implemented yet");
}
std::string RolloutOverrideKey(std::string_view ns, std::string_view name) {
  return "/gorch/rollout/Deployment/" + std::string(ns) + "/" + std::string(name);
}

}  // namespace gorch::engine
