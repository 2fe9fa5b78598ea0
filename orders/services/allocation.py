"""Where each line's units come from.

For every line: the channel's default warehouse if it can serve the whole
line; otherwise the nearest warehouse (to the delivery city) that can serve
it whole; otherwise split across warehouses, nearest first. What no warehouse
has is short (a backorder, if the channel allows it).
"""

from dataclasses import dataclass, field

from orders.geo import city_coordinates, distance_km


@dataclass
class Source:
    level_id: int
    warehouse_id: int
    product_id: int
    available: int
    position: tuple[float, float] | None


@dataclass
class LinePlan:
    line_id: int
    takes: list[tuple[int, int]] = field(default_factory=list)  # (level id, quantity)
    short: int = 0


def plan_allocation(
    *, lines, sources: list[Source], default_warehouse_id: int | None, destination_city: str
) -> list[LinePlan]:
    """`lines`: (line id, product id, quantity still to allocate). Pure: no database."""
    destination = city_coordinates(destination_city)
    remaining = {s.level_id: s.available for s in sources}

    def distance(source: Source) -> float:
        if destination is None or source.position is None:
            return float("inf")
        return distance_km(destination, source.position)

    plans = []
    for line_id, product_id, quantity in lines:
        plan = LinePlan(line_id=line_id)
        candidates = [
            s for s in sources if s.product_id == product_id and remaining[s.level_id] > 0
        ]
        default = next((s for s in candidates if s.warehouse_id == default_warehouse_id), None)
        by_distance = sorted(candidates, key=lambda s: (distance(s), s.warehouse_id))
        whole = (
            default
            if default is not None and remaining[default.level_id] >= quantity
            else next((s for s in by_distance if remaining[s.level_id] >= quantity), None)
        )
        if whole is not None:
            plan.takes.append((whole.level_id, quantity))
            remaining[whole.level_id] -= quantity
        else:
            needed = quantity
            for source in by_distance:
                take = min(needed, remaining[source.level_id])
                if take:
                    plan.takes.append((source.level_id, take))
                    remaining[source.level_id] -= take
                    needed -= take
                if not needed:
                    break
            plan.short = needed
        plans.append(plan)
    return plans
