import QtQuick
import Pareto.Theme
import Pareto.Bridge

// The small upper-case label above a group of values.
Text {
    color: Theme.textFaint
    font.pixelSize: Theme.fontXs
    font.weight: Font.DemiBold
    font.letterSpacing: 0.8
    font.capitalization: Font.AllUppercase
}
