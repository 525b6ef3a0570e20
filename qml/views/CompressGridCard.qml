import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import Pareto.Bridge
import Pareto.Theme

// The grid of target types: a row per layer (after the global row: token embedding
// and output), a column per matrix kind. A click moves a cell to the next type,
// a right click picks one; a column header sets the whole column. A cell whose type
// the rows cannot take shows its fallback, marked with a dot.
Card {
    id: root
    required property CompressGridModel grid
    property string scanType
    title: qsTr("Quantization")
    subtitle: qsTr("click: next type · right-click: pick · header: whole column")
    icon: "compress"

    readonly property int labelWidth: 64
    readonly property int cellHeight: 24
    property int menuRow: -1
    property int menuColumn: -1

    Menu {
        id: typeMenu
        Repeater {
            model: root.grid.typeNames
            MenuItem {
                required property string modelData
                text: modelData
                onTriggered: {
                    if (root.menuRow < 0) root.grid.setColumnType(root.menuColumn, modelData)
                    else root.grid.setType(root.menuRow, root.menuColumn, modelData)
                }
            }
        }
    }

    ColumnLayout {
        width: parent.width
        spacing: 2

        Row {  // column headers
            Layout.fillWidth: true
            Item { width: root.labelWidth; height: 1 }
            Repeater {
                model: root.grid.columnLabels
                Rectangle {
                    required property string modelData
                    required property int index
                    width: (root.width - 2 * root.padding - root.labelWidth) / 7
                    height: 22
                    color: headerArea.containsMouse ? Theme.surfaceHover : "transparent"
                    radius: 4
                    Text {
                        anchors.centerIn: parent
                        text: parent.modelData
                        color: Theme.textDim
                        font.family: Theme.mono
                        font.pixelSize: Theme.fontXs
                    }
                    MouseArea {
                        id: headerArea
                        anchors.fill: parent
                        hoverEnabled: true
                        onClicked: {
                            root.menuRow = -1
                            root.menuColumn = parent.index
                            typeMenu.popup()
                        }
                    }
                }
            }
        }

        Row {
            Layout.fillWidth: true
            Column {  // row labels
                Repeater {
                    model: root.grid.rowLabels
                    Text {
                        required property string modelData
                        width: root.labelWidth
                        height: root.cellHeight
                        verticalAlignment: Text.AlignVCenter
                        text: modelData === "global" ? qsTr("global") : qsTr("layer %1").arg(modelData)
                        color: Theme.textDim
                        font.pixelSize: Theme.fontXs
                    }
                }
            }
            TableView {
                objectName: "compressGrid"
                width: root.width - 2 * root.padding - root.labelWidth
                height: rows * root.cellHeight
                interactive: false
                model: root.grid
                columnWidthProvider: function () { return width / 7 }
                rowHeightProvider: function () { return root.cellHeight }
                delegate: Item {
                    required property int row
                    required property int column
                    required property string targetType
                    required property string tensorName
                    required property string sourceType
                    required property string wantedType
                    required property bool fallback
                    required property bool present
                    required property double bytesAfter
                    required property double sensitivity
                    required property double heat
                    implicitWidth: 60
                    implicitHeight: root.cellHeight
                    Rectangle {
                        anchors.fill: parent
                        anchors.margins: 1
                        visible: parent.present
                        radius: 4
                        readonly property color tint: Theme.typeColor(parent.targetType)
                        color: cellArea.containsMouse ? Qt.rgba(tint.r, tint.g, tint.b, 0.32) : Qt.rgba(tint.r, tint.g, tint.b, 0.16)
                        border.color: Qt.rgba(tint.r, tint.g, tint.b, 0.45)
                        Text {
                            z: 1
                            anchors.centerIn: parent
                            // The global row's cells are the token embedding and the output matrix.
                            text: (parent.parent.row === 0 ? (parent.parent.column === 0 ? "embd " : "out ") : "") + parent.parent.targetType
                            color: parent.tint
                            font.family: Theme.mono
                            font.pixelSize: Theme.fontXs
                        }
                        Rectangle {  // the sensitivity heat: how far this group alone moves the model
                            objectName: "heat"
                            visible: parent.parent.heat >= 0
                            anchors.fill: parent
                            radius: 4
                            color: Qt.rgba(0.94, 0.39, 0.43, 0.55 * Math.max(0, parent.parent.heat))
                            border.color: parent.parent.heat > 0.66 ? Theme.danger : "transparent"
                        }
                        Rectangle {  // asked for another type, the rows cannot take it
                            visible: parent.parent.fallback
                            width: 5; height: 5; radius: 2.5
                            anchors { right: parent.right; top: parent.top; margins: 3 }
                            color: Theme.textDim
                        }
                        MouseArea {
                            id: cellArea
                            anchors.fill: parent
                            hoverEnabled: true
                            acceptedButtons: Qt.LeftButton | Qt.RightButton
                            ToolTip.visible: containsMouse
                            ToolTip.delay: 400
                            ToolTip.text: {
                                const c = parent.parent
                                let t = c.tensorName + ": " + c.sourceType + " → " + c.targetType + " (" + Fmt.bytes(c.bytesAfter) + ")"
                                if (c.sensitivity >= 0) t += "\n" + qsTr("sensitivity: KL %1 nats with its group in %2").arg(c.sensitivity.toPrecision(3)).arg(root.scanType)
                                if (c.fallback) t += "\n" + qsTr("%1 asked for; rows of this length take %2").arg(c.wantedType).arg(c.targetType)
                                return t
                            }
                            onClicked: (mouse) => {
                                const c = parent.parent
                                if (mouse.button === Qt.RightButton) {
                                    root.menuRow = c.row
                                    root.menuColumn = c.column
                                    typeMenu.popup()
                                } else {
                                    root.grid.cycleType(c.row, c.column)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
