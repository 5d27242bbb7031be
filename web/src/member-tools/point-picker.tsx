import { useState } from 'preact/hooks';
import { FieldMessage } from '../forms.js';
import { t } from '../i18n.js';
import { fieldAttributes, type Point } from './common.js';

/*
 * Choosing a point without any map service: typed coordinates, the browser's own location (when
 * the person allows it), or a click on a small drawing of where the listings are. Nothing is
 * fetched from anywhere but the time bank's own API.
 */

type InputsProps = {
  prefix: string;
  lat: string;
  lon: string;
  failure: unknown;
  /** What the API calls these fields: "location." in a listing's body, "" in a search. */
  fieldPrefix: string;
  onChange: (lat: string, lon: string) => void;
};

/** Degrees to 5 decimals (about 1 m): enough for a meeting point, short enough to read. */
export const degrees = (value: number) => String(Math.round(value * 100_000) / 100_000);

/** Latitude and longitude inputs, with "Use my location" where the browser can tell it. */
export function LocationInputs({ prefix, lat, lon, failure, fieldPrefix, onChange }: InputsProps) {
  const [locating, setLocating] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const locate = () => {
    setProblem(null);
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setLocating(false);
        onChange(degrees(position.coords.latitude), degrees(position.coords.longitude));
      },
      (error) => {
        setLocating(false);
        setProblem(t('tools.locationUnavailable', { reason: error.message || t('tools.permissionDenied') }));
      },
      { timeout: 15_000 },
    );
  };
  return (
    <div class="location">
      <div class="row">
        <div>
          <label for={`${prefix}-lat`}>{t('tools.latitude')}</label>
          <input id={`${prefix}-lat`} inputMode="decimal" placeholder={t('tools.latitudeExample')} value={lat} onInput={(event) => onChange(event.currentTarget.value, lon)} {...fieldAttributes(failure, `${fieldPrefix}lat`)} />
          <FieldMessage failure={failure} field={`${fieldPrefix}lat`} />
        </div>
        <div>
          <label for={`${prefix}-lon`}>{t('tools.longitude')}</label>
          <input id={`${prefix}-lon`} inputMode="decimal" placeholder={t('tools.longitudeExample')} value={lon} onInput={(event) => onChange(lat, event.currentTarget.value)} {...fieldAttributes(failure, `${fieldPrefix}lon`)} />
          <FieldMessage failure={failure} field={`${fieldPrefix}lon`} />
        </div>
      </div>
      {fieldPrefix && <FieldMessage failure={failure} field={fieldPrefix.replace(/\.$/, '')} />}
      {'geolocation' in navigator && (
        <button type="button" class="secondary" onClick={locate} disabled={locating}>
          {locating ? t('tools.locating') : t('tools.useLocation')}
        </button>
      )}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

type MapProps = {
  /** Where listings are, as the API shows them to this member (rounded to about 1 km). */
  points: Point[];
  chosen: Point | null;
  radiusKm: number | null;
  onChoose: (point: Point) => void;
};

const SIZE = 300;
const KM_PER_DEGREE = 111.32;

/**
 * A square frame around the listings' locations, in kilometres east and north of its centre
 * (an equirectangular projection: fine at the scale of one community).
 */
function frameOf(points: Point[]) {
  const lats = points.map((point) => point.lat);
  const lons = points.map((point) => point.lon);
  const centre = { lat: (Math.min(...lats) + Math.max(...lats)) / 2, lon: (Math.min(...lons) + Math.max(...lons)) / 2 };
  const east = Math.cos((centre.lat * Math.PI) / 180) * KM_PER_DEGREE;
  const widthKm = (Math.max(...lons) - Math.min(...lons)) * east;
  const heightKm = (Math.max(...lats) - Math.min(...lats)) * KM_PER_DEGREE;
  // A margin around the outermost listings, and at least 4 km across.
  const spanKm = Math.max(widthKm, heightKm, 2) * 1.25;
  const scale = SIZE / spanKm;
  return {
    toSvg: (point: Point) => ({ x: SIZE / 2 + (point.lon - centre.lon) * east * scale, y: SIZE / 2 - (point.lat - centre.lat) * KM_PER_DEGREE * scale }),
    toPoint: (x: number, y: number): Point => ({ lat: centre.lat + (SIZE / 2 - y) / scale / KM_PER_DEGREE, lon: centre.lon + (x - SIZE / 2) / scale / east }),
    kmToSvg: (km: number) => km * scale,
    spanKm,
  };
}

/**
 * The listings' locations as dots: clicking anywhere chooses that point, and each dot is also a
 * button (Tab, then Enter) that chooses its location.
 */
export function PointMap({ points, chosen, radiusKm, onChoose }: MapProps) {
  if (points.length === 0) return <p class="hint">{t('tools.noMap')}</p>;
  const places = [...new Map(points.map((point) => [`${point.lat},${point.lon}`, point])).values()];
  const frame = frameOf(places);
  const click = (event: MouseEvent) => {
    const box = (event.currentTarget as SVGSVGElement).getBoundingClientRect();
    onChoose(frame.toPoint(((event.clientX - box.left) / box.width) * SIZE, ((event.clientY - box.top) / box.height) * SIZE));
  };
  const mark = chosen ? frame.toSvg(chosen) : null;
  const inside = mark && mark.x >= 0 && mark.x <= SIZE && mark.y >= 0 && mark.y <= SIZE;
  return (
    <figure class="point-map">
      <svg viewBox={`0 0 ${SIZE} ${SIZE}`} class="chart" onClick={click} data-testid="point-map" aria-label={t('tools.mapLabel')}>
        <rect x="0" y="0" width={SIZE} height={SIZE} class="ground" />
        {places.map((place) => {
          const { x, y } = frame.toSvg(place);
          const name = t('tools.choosePlace', { lat: degrees(place.lat), lon: degrees(place.lon) });
          return (
            <circle
              key={`${place.lat},${place.lon}`}
              cx={x}
              cy={y}
              r="6"
              class="place"
              role="button"
              tabindex={0}
              aria-label={name}
              data-lat={place.lat}
              data-lon={place.lon}
              onClick={(event) => {
                event.stopPropagation();
                onChoose(place);
              }}
              onKeyDown={(event) => {
                if (event.key === 'Enter' || event.key === ' ') {
                  event.preventDefault();
                  onChoose(place);
                }
              }}
            >
              <title>{name}</title>
            </circle>
          );
        })}
        {inside && radiusKm !== null && radiusKm > 0 && <circle cx={mark.x} cy={mark.y} r={frame.kmToSvg(radiusKm)} class="radius" />}
        {inside && <path d={`M ${mark.x - 8} ${mark.y} h 16 M ${mark.x} ${mark.y - 8} v 16`} class="chosen" />}
      </svg>
      <figcaption class="hint">
        {t('tools.mapScale', { km: Math.round(frame.spanKm) })} {chosen && !inside ? t('tools.outside') : ''}
      </figcaption>
    </figure>
  );
}
