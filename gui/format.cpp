#include "gui/format.h"

#include <cmath>

namespace pareto::gui {
namespace {

// Three significant digits: 1.23, 12.3, 123.
QString three_digits(double v) {
    const double a = std::fabs(v);
    const int decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2;
    return QString::number(v, 'f', decimals);
}

}  // namespace

QString format_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (!std::isfinite(bytes) || bytes < 0) return QStringLiteral("–");
    if (bytes < 1024) return QString::number(static_cast<qint64>(bytes)) + QStringLiteral(" B");
    int u = 0;
    while (bytes >= 1024 * 0.9995 && u < 4) {  // 1023.9 KiB shows as 1.00 MiB, not "1024 KiB"
        bytes /= 1024;
        ++u;
    }
    return three_digits(bytes) + ' ' + units[u];
}

QString format_count(double n) {
    if (!std::isfinite(n)) return QStringLiteral("–");
    const double a = std::fabs(n);
    if (a < 10000) return QString::number(static_cast<qint64>(std::llround(n)));
    if (a < 1e6 * 0.9995) return three_digits(n / 1e3) + QStringLiteral(" k");
    if (a < 1e9 * 0.9995) return three_digits(n / 1e6) + QStringLiteral(" M");
    return three_digits(n / 1e9) + QStringLiteral(" B");
}

QString format_shape(const std::vector<uint64_t>& shape) {
    QString s;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += QStringLiteral(" × ");
        s += QString::number(shape[i]);
    }
    return s;
}

QString Fmt::rate(double v) const {
    if (!std::isfinite(v) || v <= 0) return QStringLiteral("–");
    return v >= 1000 ? QString::number(std::llround(v)) : three_digits(v);
}

QString Fmt::ms(double v) const {
    if (!std::isfinite(v) || v < 0) return QStringLiteral("–");
    if (v >= 1000) return three_digits(v / 1000) + QStringLiteral(" s");
    return three_digits(v) + QStringLiteral(" ms");
}

}  // namespace pareto::gui
