// ThreadSanitizer annotations for absl::Mutex when Abseil itself was built without them.
//
// Debian's libabsl_synchronization.so (Abseil 20220623) is not compiled with -fsanitize=thread,
// so its Mutex::Lock and Mutex::Unlock never tell ThreadSanitizer that they synchronise. Every
// access guarded by an absl::Mutex then looks like a data race, which buries real reports.
//
// This file is linked only into ThreadSanitizer builds of the stress test. It defines the lock
// and unlock members in the executable, so they take precedence over the library's. Each one
// reports the operation through the __tsan_mutex_* interface, as an instrumented Abseil does
// itself, and then calls the library's implementation, which dlsym(RTLD_NEXT) finds. The
// inline constructor in absl/synchronization/mutex.h already reports creation once
// -fsanitize=thread is on.
//
// NOTE: the file covers Lock, Unlock, ReaderLock, ReaderUnlock, TryLock, ReaderTryLock and the
// destructor, which is all that server/ calls. A CondVar wait or Mutex::Await releases and
// re-takes the lock inside the library, where this file cannot see it.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"

namespace {

#define ARBOR_STRINGIFY_INNER(x) #x
#define ARBOR_STRINGIFY(x) ARBOR_STRINGIFY_INNER(x)

// The Itanium-mangled name of absl::<inline namespace>::Mutex::<member>, e.g.
// "_ZN4absl7debian35Mutex4LockEv" for `member` "4LockEv".
std::string MutexSymbol(const char* member) {
  const char* inline_namespace = ARBOR_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return "_ZN4absl" + std::to_string(std::strlen(inline_namespace)) + inline_namespace +
         "5Mutex" + member;
}

// The library's definition of a member, the next one after this executable's.
template <typename Function>
Function LibraryMember(const char* member) {
  const std::string symbol = MutexSymbol(member);
  void* address = dlsym(RTLD_NEXT, symbol.c_str());
  if (address == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan_shim: %s not found in the loaded libraries: %s\n",
                 symbol.c_str(), dlerror());
    std::abort();
  }
  return reinterpret_cast<Function>(address);
}

using VoidMember = void (*)(absl::Mutex*);
using BoolMember = bool (*)(absl::Mutex*);

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const VoidMember library = LibraryMember<VoidMember>("4LockEv");
  __tsan_mutex_pre_lock(this, 0);
  library(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  static const VoidMember library = LibraryMember<VoidMember>("6UnlockEv");
  __tsan_mutex_pre_unlock(this, 0);
  library(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderLock() {
  static const VoidMember library = LibraryMember<VoidMember>("10ReaderLockEv");
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  library(this);
  __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

void Mutex::ReaderUnlock() {
  static const VoidMember library = LibraryMember<VoidMember>("12ReaderUnlockEv");
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  library(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

bool Mutex::TryLock() {
  static const BoolMember library = LibraryMember<BoolMember>("7TryLockEv");
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = library(this);
  __tsan_mutex_post_lock(this, __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed),
                         0);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static const BoolMember library = LibraryMember<BoolMember>("13ReaderTryLockEv");
  const unsigned flags = __tsan_mutex_read_lock | __tsan_mutex_try_lock;
  __tsan_mutex_pre_lock(this, flags);
  const bool locked = library(this);
  __tsan_mutex_post_lock(this, flags | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

Mutex::~Mutex() {
  static const VoidMember library = LibraryMember<VoidMember>("D1Ev");
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  library(this);
}

ABSL_NAMESPACE_END
}  // namespace absl
