// Field paths as the API server prints them ("spec.ports[0].nodePort",
// "metadata.labels[app]"), built on the stack while decoding and rendered
// only when a message needs one: decoding valid input never formats a path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace svcnat::manifest {

class FieldPath {
public:
    FieldPath() = default;  // the object itself

    // A step points at its parent, so the parent must outlive it: steps
    // cannot be taken from a temporary (name each level instead).
    FieldPath child(std::string_view name) const& { return FieldPath(this, Step::Child, name, 0); }
    FieldPath index(size_t i) const& { return FieldPath(this, Step::Index, {}, i); }
    FieldPath key(std::string_view k) const& { return FieldPath(this, Step::Key, k, 0); }
    FieldPath child(std::string_view) const&& = delete;
    FieldPath index(size_t) const&& = delete;
    FieldPath key(std::string_view) const&& = delete;

    std::string str() const {
        std::string s;
        append_to(s);
        return s;
    }

private:
    enum class Step : unsigned char { Root, Child, Index, Key };
    FieldPath(const FieldPath* parent, Step step, std::string_view name, size_t index)
        : parent_(parent), step_(step), name_(name), index_(index) {}

    void append_to(std::string& s) const {
        if (parent_) parent_->append_to(s);
        switch (step_) {
            case Step::Root: break;
            case Step::Child:
                if (!s.empty()) s += '.';
                s += name_;
                break;
            case Step::Index: s += '[' + std::to_string(index_) + ']'; break;
            case Step::Key:
                s += '[';
                s += name_;
                s += ']';
                break;
        }
    }

    const FieldPath* parent_ = nullptr;
    Step step_ = Step::Root;
    std::string_view name_;
    size_t index_ = 0;
};

}  // namespace svcnat::manifest
