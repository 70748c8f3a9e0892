# One image for every Tracktion service; the command picks the service:
#   docker run IMAGE tracktion worker analysis
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libsndfile1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY packages packages
COPY reference-services reference-services
RUN pip install --no-cache-dir \
      "./packages/tracktion-contracts" \
      "./packages/tracktion-core[all]" \
      "./packages/tracktion-audio" \
      "./reference-services"

RUN useradd --create-home tracktion
USER tracktion
ENV NUMBA_CACHE_DIR=/tmp/numba
ENTRYPOINT []
CMD ["tracktion", "--help"]
