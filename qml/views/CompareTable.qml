import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// One comparison table (a CompareModel): label, A, B, B − A, B / A; the ratio is
// green where B is faster, red where it is slower.
ColumnLayout {
    id: root
    property string heading
    property bool boldLastRow: false  // the total
    property CompareModel model
    readonly property var widths: [0, 62, 62, 68, 54]
    function columnWidth(c) {
        if (c > 0) return widths[c]
        return Math.max(56, table.width - 62 - 62 - 68 - 54)
    }
    spacing: 0
    Row {
        Layout.fillWidth: true
        Layout.bottomMargin: 4
        Repeater {
            model: 5
            SectionLabel {
                required property int index
                width: root.columnWidth(index)
                horizontalAlignment: index > 0 ? Text.AlignRight : Text.AlignLeft
                rightPadding: index > 0 ? 6 : 0
                text: index === 0 ? root.heading : root.model.columnTitle(index)
            }
        }
    }
    Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
    TableView {
        id: table
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: root.model
        columnWidthProvider: (c) => root.columnWidth(c)
        onWidthChanged: forceLayout()
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}
        delegate: Item {
            id: cell
            required property int row
            required property int column
            required property string display
            required property double ratio
            required property double shareA
            required property double shareB
            readonly property bool total: root.boldLastRow && row === root.model.count - 1
            implicitHeight: 22
            Text {
                anchors { fill: parent; rightMargin: 6 }
                verticalAlignment: Text.AlignVCenter
                horizontalAlignment: cell.column > 0 ? Text.AlignRight : Text.AlignLeft
                text: cell.display
                font.pixelSize: Theme.fontSm
                font.family: cell.column > 0 ? Theme.mono : Theme.fontFamily
                font.weight: cell.total ? Font.DemiBold : Font.Normal
                color: cell.column === 4 && cell.ratio > 0
                       ? (cell.ratio < 0.97 ? Theme.success : cell.ratio > 1.03 ? Theme.danger : Theme.textDim)
                       : cell.column === 0 ? Theme.text : Theme.textDim
                elide: Text.ElideRight
            }
        }
    }
}
