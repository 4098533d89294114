// Per-operation memory for asio handlers, after asio's "custom allocation" example.
// Internal to the server component.
//
// asio keeps one recycled block per thread for operation state, so a connection with a read
// and a timer pending at once would allocate for one of them on every request. Each
// HandlerMemory is a fixed block reused by one kind of operation (read, write, timer) of one
// connection; an operation that does not fit, or overlaps another of its kind, falls back to
// the heap. Not thread-safe: used by one event-loop thread only.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace nightjar::server {

class HandlerMemory {
 public:
  HandlerMemory() = default;
  HandlerMemory(const HandlerMemory&) = delete;
  HandlerMemory& operator=(const HandlerMemory&) = delete;

  void* allocate(size_t size) {
    if (!in_use_ && size <= sizeof(storage_)) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);
  }

  void deallocate(void* pointer) {
    if (pointer == storage_) {
      in_use_ = false;
    } else {
      ::operator delete(pointer);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[256];
  bool in_use_ = false;
};

// The standard allocator asio obtains from a handler wrapped by bind_memory().
template <typename T>
class HandlerAllocator {
 public:
  using value_type = T;

  explicit HandlerAllocator(HandlerMemory& memory) : memory_(&memory) {}
  // Implicit, as allocators rebound by asio must convert.
  template <typename U>
  HandlerAllocator(const HandlerAllocator<U>& other) noexcept  // NOLINT
      : memory_(other.memory()) {}

  T* allocate(size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* pointer, size_t /*n*/) { memory_->deallocate(pointer); }
  HandlerMemory* memory() const noexcept { return memory_; }

  template <typename U>
  bool operator==(const HandlerAllocator<U>& other) const noexcept {
    return memory_ == other.memory();
  }

 private:
  HandlerMemory* memory_;
};

// A completion handler whose operation state asio places in `memory`.
template <typename Handler>
class MemoryBoundHandler {
 public:
  using allocator_type = HandlerAllocator<Handler>;

  MemoryBoundHandler(HandlerMemory& memory, Handler handler)
      : memory_(&memory), handler_(std::move(handler)) {}

  allocator_type get_allocator() const noexcept { return allocator_type(*memory_); }

  template <typename... Args>
  void operator()(Args&&... args) {
    handler_(std::forward<Args>(args)...);
  }

 private:
  HandlerMemory* memory_;
  Handler handler_;
};

// `memory` must outlive the operation: keep it in the object the handler keeps alive.
template <typename Handler>
MemoryBoundHandler<Handler> bind_memory(HandlerMemory& memory, Handler handler) {
  return MemoryBoundHandler<Handler>(memory, std::move(handler));
}

}  // namespace nightjar::server
