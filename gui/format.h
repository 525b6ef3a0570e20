#pragma once
// Numbers as the workbench shows them, in C++ and (through the Fmt singleton) QML.
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <cstdint>
#include <vector>

namespace pareto::gui {

// 1536 -> "1.50 KiB", 3.2e9 -> "2.98 GiB": three significant digits, binary units.
QString format_bytes(double bytes);
// 135e6 -> "135 M", 1.54e9 -> "1.54 B", 4096 -> "4096".
QString format_count(double n);
// [896, 151936] -> "896 × 151936"
QString format_shape(const std::vector<uint64_t>& shape);

class Fmt : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
public:
    using QObject::QObject;
    Q_INVOKABLE QString bytes(double n) const { return format_bytes(n); }
    Q_INVOKABLE QString count(double n) const { return format_count(n); }
    // 12.345 -> "12.3", 1234.5 -> "1235": enough digits for a live rate.
    Q_INVOKABLE QString rate(double v) const;
    // Milliseconds: 0.42 -> "0.42 ms", 12.3 -> "12.3 ms", 1520 -> "1.52 s".
    Q_INVOKABLE QString ms(double v) const;
};

}  // namespace pareto::gui
