"""The measurement layer: member arrays, broad phase, interference, faces, contacts, polylines and tubes, and the
seating plane, all in mm, mm2 and mm3. Functions return numbers; checks turn them into results."""
