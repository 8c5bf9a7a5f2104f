"""An event stored by older code is read by today's code through its upcaster."""
from datetime import UTC, datetime

from eventsourcing.persistence import StoredEvent

from domain.model import VisitorStay
from tests.unit.domain_helpers import app


def test_a_version_1_check_in_is_read_with_a_region_code(geography, tmp_path):
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "s.db"),
           "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": "q8mU5O5aFq1h6T0cZKXQ9A=="}
    population = app(geography, env)
    stay_id = VisitorStay.create_id("ST-2019-0001")
    v1_state = {  # what version 1 wrote: no class_version, a 2-digit province
        "timestamp": datetime(2019, 8, 1, 12, tzinfo=UTC), "originator_topic": "domain.model:VisitorStay",
        "stay_id": "ST-2019-0001", "message_id": "m-2019", "occurred_at": datetime(2019, 8, 1, 20, tzinfo=UTC),
        "lodging_code": "L3706140010010201", "grid_code": "37061400100102", "guest": "g" * 32,
        "identity": {"id_number": "11010519491231002X", "name": "", "phone": ""}, "party_size": 2, "nights": 1,
        "origin_province": "11",
    }
    mapper = population.mapper
    state = mapper.cipher.encrypt(mapper.transcoder.encode(v1_state))
    population.recorder.insert_events([StoredEvent(originator_id=stay_id, originator_version=1,
                                                   topic="domain.model:VisitorStay.CheckedIn", state=state)])
    stay = population.repository.get(stay_id)
    assert stay.origin_region == "110000"
    assert type(next(iter(population.events.get(stay_id)))).class_version == 2
