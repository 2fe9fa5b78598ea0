"""Reading CVRPLIB instances (TSPLIB format) for the routing benchmark."""

import re
from dataclasses import dataclass
from pathlib import Path

from logistics.routing import Stop, Vehicle


@dataclass
class Instance:
    name: str
    depot: tuple[float, float]
    stops: list[Stop]
    vehicles: list[Vehicle]
    optimal: int | None


def read_instance(path: Path) -> Instance:
    coords, demands, capacity, depot_id, optimal, section = {}, {}, 0, 1, None, None
    for raw in path.read_text().splitlines():
        parts = raw.split()
        if not parts:
            continue
        head = parts[0].rstrip(":")
        if head == "COMMENT":
            found = re.search(r"Optimal value:\s*(\d+)", raw)
            optimal = int(found.group(1)) if found else None
        elif head == "CAPACITY":
            capacity = int(parts[-1])
        elif head in ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION"):
            section = head
        elif head == "EOF":
            break
        elif section == "NODE_COORD_SECTION":
            coords[int(parts[0])] = (float(parts[1]), float(parts[2]))
        elif section == "DEMAND_SECTION":
            demands[int(parts[0])] = int(parts[1])
        elif section == "DEPOT_SECTION" and int(parts[0]) > 0:
            depot_id = int(parts[0])
    trucks = int(re.search(r"-k(\d+)", path.stem).group(1))
    stops = [
        Stop(key=str(node), point=coords[node], load=(demands.get(node, 0),))
        for node in sorted(coords)
        if node != depot_id
    ]
    vehicles = [Vehicle(key=f"truck-{n + 1}", capacity=(capacity,)) for n in range(trucks)]
    return Instance(path.stem, coords[depot_id], stops, vehicles, optimal)
