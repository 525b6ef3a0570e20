#pragma once
// Every engine failure a user can cause (bad file, bad argument) is a pareto::Error
// whose message names the problem and where it was found.
#include <stdexcept>
#include <string>

namespace pareto {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Thrown when a long call observes its cancel token.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

[[noreturn]] void fail(const std::string& message);

}  // namespace pareto
