#include "sync_poller.h"

#include <pthread.h>
#include <time.h>

namespace gorch::store::internal {

SyncPoller::SyncPoller(std::chrono::microseconds interval) : interval_(interval) {
  if (interval_.count() > 0) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gorch-syncpoll");
      Run();
    });
  }
}

SyncPoller::~SyncPoller() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SyncPoller::Begin() {
  if (!thread_.joinable()) return;
  if (active_.fetch_add(1) == 0) {
    { std::lock_guard<std::mutex> l(mu_); }
    cv_.notify_all();
  }
}

void SyncPoller::End() {
  if (thread_.joinable()) active_.fetch_sub(1);
}

void SyncPoller::Run() {
  const timespec ts{0, long(std::chrono::duration_cast<std::chrono::nanoseconds>(interval_).count())};
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    cv_.wait(l, [&] { return stop_ || active_.load() > 0; });
    l.unlock();
    while (active_.load() > 0) nanosleep(&ts, nullptr);
    l.lock();
  }
}

}  // namespace gorch::store::internal
