pragma Singleton
import QtQuick

// Colours, type and spacing of the workbench: one dark theme, used by every view.
QtObject {
    // Surfaces, from the window back to raised controls.
    readonly property color bg: "#0e1015"
    readonly property color sidebar: "#11141a"
    readonly property color surface: "#161a21"
    readonly property color surfaceRaised: "#1d222b"
    readonly property color surfaceHover: "#232936"
    readonly property color border: "#262d38"
    readonly property color borderStrong: "#343c4a"

    readonly property color text: "#e7eaf0"
    readonly property color textDim: "#a0a8b8"
    readonly property color textFaint: "#6c7586"

    readonly property color accent: "#7b8cff"
    readonly property color accentSoft: "#2a3160"
    readonly property color teal: "#3fd0a8"
    readonly property color amber: "#f3b54a"
    readonly property color danger: "#f0646e"
    readonly property color dangerSoft: "#3a1d23"
    readonly property color success: "#4cc38a"

    // Memory categories, the same wherever memory is drawn.
    readonly property color memWeights: accent
    readonly property color memKv: teal
    readonly property color memScratch: amber

    readonly property string fontFamily: Qt.application.font.family
    readonly property string mono: "DejaVu Sans Mono"
    readonly property int fontXs: 11
    readonly property int fontSm: 12
    readonly property int fontMd: 13
    readonly property int fontLg: 15
    readonly property int fontXl: 20
    readonly property int fontXxl: 28

    readonly property int radius: 8
    readonly property int gap: 12
    readonly property int pad: 16

    // Tensor types by bits per weight: cool for wide types, warm for narrow ones.
    function typeColor(name) {
        if (!name) return textFaint
        const n = String(name).toUpperCase()
        if (n === "F32" || n === "F64") return "#8e99ad"
        if (n === "F16" || n === "BF16") return "#6fb3ff"
        if (n.startsWith("Q8")) return "#3fd0a8"
        if (n.startsWith("Q6")) return "#7fd35b"
        if (n.startsWith("Q5")) return "#d7d04a"
        if (n.startsWith("Q4") || n.startsWith("IQ4")) return "#f3a64a"
        if (n.startsWith("Q3") || n.startsWith("IQ3")) return "#f27d52"
        return "#f0646e"
    }
}
